package auth

import (
	"regexp"
	"strconv"
)

// aadstsCode finds the Microsoft Entra error code in a reason, as in "invalid_client: AADSTS7000222: ...".
var aadstsCode = regexp.MustCompile(`\bAADSTS(\d+)\b`)

// fixes says what to do about the Microsoft Entra ID answers whose cause is known, by error code.
var fixes = map[int]string{
	// An expired client secret (the answer names the app).
	7000222: "the app registration's client secret has expired: create a new one (Microsoft Entra admin center > App registrations > " +
		"the app > Certificates & secrets), put its Value in client_secret (ARM_CLIENT_SECRET), or move to a certificate or a " +
		"federated credential, which need no secret",
	// The value of another secret, or the secret's ID instead of its value.
	7000215: "client_secret (ARM_CLIENT_SECRET) is not a current secret of this app registration: copy the secret's Value, not its " +
		"Secret ID, or create a new secret",
	// No federated credential of the app has the token's issuer.
	700211: "no federated credential of the app registration has the issuer of this token (the answer quotes it): add a federated " +
		"credential with exactly that issuer under Certificates & secrets > Federated credentials, for example " +
		"https://token.actions.githubusercontent.com for GitHub Actions, or use the pipeline the existing credential names",
	// No federated credential of the app has the token's subject.
	700213: "no federated credential of the app registration has the subject of this token (the answer quotes it): add a federated " +
		"credential with exactly that subject (subjects compare case-sensitively; a GitHub job with an environment presents " +
		"repo:<owner>/<repo>:environment:<name>, one without it repo:<owner>/<repo>:ref:<ref>), or run from the branch, " +
		"environment or service connection that an existing credential names",
	// The general form: no federated credential matches issuer, subject and audience together.
	70021: "no federated credential of the app registration matches the token's issuer, subject and audience together (the answer " +
		"quotes all three): add one that matches them exactly, with the audience api://AzureADTokenExchange, or request the " +
		"token with the audience the credential names",
	// An expired federated token.
	700024: "the federated token expired before it was exchanged: a fixed oidc_token cannot be renewed, so use a token file or a " +
		"token request endpoint, which the provider reads again for every exchange",
	// A client id that the tenant does not know.
	700016: "client_id (ARM_CLIENT_ID) names no app of this tenant: check client_id and tenant_id (ARM_TENANT_ID), and that the app " +
		"has a service principal (an enterprise application) in the tenant",
}

// fixOfReason says what to do about an authentication failure, given the reason that Reason condensed,
// when its Microsoft Entra ID error code has a known cause; "" when there is no specific advice.
func fixOfReason(reason string) string {
	m := aadstsCode.FindStringSubmatch(reason)
	if m == nil {
		return ""
	}
	code, convErr := strconv.Atoi(m[1])
	if convErr != nil {
		return ""
	}
	return fixes[code]
}
