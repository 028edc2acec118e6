package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"software.sslmate.com/src/go-pkcs12"
)

// passwordProtectedArchive returns a PKCS#12 archive of a new self-signed certificate and its key.
func passwordProtectedArchive(t *testing.T, password string) []byte {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	template := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "certificate reason test"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	archive, err := pkcs12.LegacyDES.Encode(key, cert, nil, password)
	if err != nil {
		t.Fatal(err)
	}
	return archive
}

// TestCertificateReason checks that an unreadable client certificate is explained in plain words,
// without the PKCS#12 parser's ASN.1 details and without the password.
func TestCertificateReason(t *testing.T) {
	const password = "right-password-4711"
	cases := []struct {
		name     string
		data     []byte
		password string
		reason   string
	}{
		{name: "not an archive", data: []byte("ABC"), reason: "the data is neither a PKCS#12 archive nor PEM"},
		{name: "wrong password", data: passwordProtectedArchive(t, password), password: "wrong-password-0815", reason: "the password is wrong; check client_certificate_password (ARM_CLIENT_CERTIFICATE_PASSWORD)"},
		{
			name:   "malformed PEM certificate",
			data:   []byte("-----BEGIN CERTIFICATE-----\n" + base64.StdEncoding.EncodeToString([]byte("not DER")) + "\n-----END CERTIFICATE-----\n"),
			reason: "x509: malformed certificate",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewCredential(Settings{
				TenantID:                  "d7bca20e-e2a1-40ba-952e-c61e79d572ac",
				ClientID:                  "8f859d2f-03a0-4c08-adcf-9b35b21c9b5b",
				ClientCertificate:         tc.data,
				ClientCertificatePassword: tc.password,
			}, azcore.ClientOptions{})
			want := MethodCertificate + ": the certificate could not be read (" + tc.reason + "); it must be a PKCS#12 archive"
			switch {
			case err == nil:
				t.Fatalf("NewCredential succeeded, want an error starting %q", want)
			case !strings.HasPrefix(err.Error(), want):
				t.Errorf("NewCredential error = %q, want it to start %q", err, want)
			case tc.password != "" && strings.Contains(err.Error(), tc.password):
				t.Errorf("the error shows the password")
			}
		})
	}
	if _, err := NewCredential(Settings{
		TenantID: "d7bca20e-e2a1-40ba-952e-c61e79d572ac", ClientID: "8f859d2f-03a0-4c08-adcf-9b35b21c9b5b",
		ClientCertificate: passwordProtectedArchive(t, password), ClientCertificatePassword: password,
	}, azcore.ClientOptions{}); err != nil {
		t.Errorf("the archive with its right password was refused: %v", err)
	}
}
