package fakeapi

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"regexp"
	"time"
)

// isoMillis is the ISO-8601 form Defender for Cloud Apps uses for stream timestamps.
const isoMillis = "2006-01-02T15:04:05.000Z"

// legacyTokenRE matches a legacy Cloud Apps API token.
var legacyTokenRE = regexp.MustCompile(`^[0-9a-zA-Z=]{64,192}$`)

const (
	alphanumeric   = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	secretAlphabet = alphanumeric + "_.~-"
)

// newObjectID returns a MongoDB-style ObjectId: a 4-byte timestamp followed by 8 random bytes, as 24 hex characters.
func newObjectID(now time.Time) string {
	b := make([]byte, 12)
	binary.BigEndian.PutUint32(b, uint32(now.Unix()))
	_, _ = rand.Read(b[4:]) // crypto/rand.Read never returns an error.
	return hex.EncodeToString(b)
}

// randomString returns n characters drawn uniformly from alphabet.
func randomString(n int, alphabet string) string {
	out := make([]byte, n)
	for i := range out {
		out[i] = alphabet[randomIndex(len(alphabet))]
	}
	return string(out)
}

// randomIndex returns a uniform random integer in [0, n) for n <= 256.
func randomIndex(n int) int {
	limit := 256 - 256%n
	var b [1]byte
	for {
		_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error.
		if int(b[0]) < limit {
			return int(b[0]) % n
		}
	}
}

// randomSecret returns a client secret in the shape Microsoft Entra generates (40 characters).
func randomSecret() string {
	return randomString(3, alphanumeric) + "8Q~" + randomString(34, secretAlphabet)
}

// randomAPIToken returns a legacy Cloud Apps API token of 64 characters.
func randomAPIToken() string {
	return randomString(64, alphanumeric)
}
