package fakeapi

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // SHA-1 is what the x5t JWT header is defined with (RFC 7515 section 4.1.7).
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"time"
)

// serverTLS is the certificate material of one server: a fresh certificate authority and a leaf
// certificate for the loopback names, signed by it.
type serverTLS struct {
	caPEM []byte
	pool  *x509.CertPool
	leaf  tls.Certificate
}

// newServerTLS generates a certificate authority and a leaf certificate for 127.0.0.1, ::1 and localhost.
func newServerTLS() (*serverTLS, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating the CA key: %w", err)
	}
	now := time.Now()
	caTemplate := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: "mcas fake API server CA", Organization: []string{"terraform-provider-mcas"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(1, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("creating the CA certificate: %w", err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("parsing the CA certificate: %w", err)
	}

	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating the server key: %w", err)
	}
	leafTemplate := &x509.Certificate{
		SerialNumber: randomSerial(),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTemplate, caCert, &leafKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("creating the server certificate: %w", err)
	}

	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return &serverTLS{
		caPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		pool:  pool,
		leaf:  tls.Certificate{Certificate: [][]byte{leafDER, caDER}, PrivateKey: leafKey},
	}, nil
}

// randomSerial returns a random 128-bit certificate serial number.
func randomSerial() *big.Int {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error.
	return new(big.Int).SetBytes(b)
}

// signingKey is an RSA key that signs JWTs, with its key id.
type signingKey struct {
	key *rsa.PrivateKey
	kid string
}

// newSigningKey generates a 2048-bit RSA key for RS256 tokens.
func newSigningKey() (*signingKey, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generating an RSA signing key: %w", err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("encoding the RSA signing key: %w", err)
	}
	sum := sha256.Sum256(der)
	return &signingKey{key: key, kid: base64.RawURLEncoding.EncodeToString(sum[:16])}, nil
}

// jwks returns the JSON Web Key Set that publishes the public part of the key.
func (k *signingKey) jwks() map[string]any {
	return map[string]any{"keys": []map[string]any{{
		"kty": "RSA",
		"use": "sig",
		"alg": "RS256",
		"kid": k.kid,
		"n":   base64.RawURLEncoding.EncodeToString(k.key.N.Bytes()),
		"e":   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.key.E)).Bytes()),
	}}}
}

// clientCertificate is a certificate registered on an app registration. The private key is only
// known when the server generated the certificate itself.
type clientCertificate struct {
	cert       *x509.Certificate
	sha1Thumb  []byte
	sha256Hash []byte
	privateKey crypto.PrivateKey
}

// newClientCertificate wraps a parsed certificate and computes its thumbprints.
func newClientCertificate(cert *x509.Certificate, key crypto.PrivateKey) *clientCertificate {
	s1 := sha1.Sum(cert.Raw) //nolint:gosec // x5t is defined as the SHA-1 thumbprint.
	s256 := sha256.Sum256(cert.Raw)
	return &clientCertificate{cert: cert, sha1Thumb: s1[:], sha256Hash: s256[:], privateKey: key}
}

// generateClientCertificate creates a self-signed RSA certificate for an app registration, as
// `New-SelfSignedCertificate` or `az ad sp create-for-rbac --create-cert` would.
func generateClientCertificate(commonName string) (*clientCertificate, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generating the client certificate key: %w", err)
	}
	now := time.Now()
	template := &x509.Certificate{
		SerialNumber: randomSerial(),
		Subject:      pkix.Name{CommonName: commonName},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("creating the client certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parsing the client certificate: %w", err)
	}
	return newClientCertificate(cert, key), nil
}

// pem returns the private key (PKCS #8) followed by the certificate, both PEM encoded; it returns
// only the certificate when the private key is unknown.
func (c *clientCertificate) pem() ([]byte, error) {
	var out []byte
	if c.privateKey != nil {
		der, err := x509.MarshalPKCS8PrivateKey(c.privateKey)
		if err != nil {
			return nil, fmt.Errorf("encoding the client certificate key: %w", err)
		}
		out = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	return append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.cert.Raw})...), nil
}

// parseCertificatesPEM parses every CERTIFICATE block of a PEM document.
func parseCertificatesPEM(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parsing a certificate: %w", err)
		}
		certs = append(certs, cert)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("no PEM CERTIFICATE block found; expected the public certificate in PEM form")
	}
	return certs, nil
}
