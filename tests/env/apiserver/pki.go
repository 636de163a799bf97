package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// pki names the PEM files of the test CA, the serving certificate and the
// client certificate (CN=vmrelay-test, O=system:masters).
type pki struct {
	caCert, caKey         string
	serverCert, serverKey string
	clientCert, clientKey string
}

func pkiIn(dir string) pki {
	j := func(n string) string { return filepath.Join(dir, n) }
	return pki{
		caCert: j("ca.crt"), caKey: j("ca.key"),
		serverCert: j("server.crt"), serverKey: j("server.key"),
		clientCert: j("client.crt"), clientKey: j("client.key"),
	}
}

// ensurePKI keeps an existing complete set, so that clients holding the old
// CA keep working across restarts; a partial set is replaced whole.
func ensurePKI(dir string) (pki, error) {
	p := pkiIn(dir)
	complete := true
	all := []string{p.caCert, p.caKey, p.serverCert, p.serverKey, p.clientCert, p.clientKey}
	for _, f := range all {
		if _, err := os.Stat(f); err != nil {
			complete = false
		}
	}
	if complete {
		return p, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return p, err
	}
	caTmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: "vmrelay-test-ca"},
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, caKey, err := issue(caTmpl, nil, nil)
	if err != nil {
		return p, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return p, err
	}
	serverTmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "vmrelay-test-apiserver"},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
	}
	clientTmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "vmrelay-test", Organization: []string{"system:masters"}},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	serverDER, serverKey, err := issue(serverTmpl, ca, caKey)
	if err != nil {
		return p, err
	}
	clientDER, clientKey, err := issue(clientTmpl, ca, caKey)
	if err != nil {
		return p, err
	}
	files := []struct {
		path string
		der  []byte
		key  *ecdsa.PrivateKey
	}{
		{p.caCert, caDER, nil}, {p.caKey, nil, caKey},
		{p.serverCert, serverDER, nil}, {p.serverKey, nil, serverKey},
		{p.clientCert, clientDER, nil}, {p.clientKey, nil, clientKey},
	}
	for _, f := range files {
		if err := writePEM(f.path, f.der, f.key); err != nil {
			return p, err
		}
	}
	return p, nil
}

// issue signs tmpl with parent/parentKey, or self-signs when parent is nil.
func issue(tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (
	[]byte, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return nil, nil, err
	}
	tmpl.SerialNumber = serial
	// Backdated so that a clock a little behind still accepts the certificates.
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = time.Now().Add(10 * 365 * 24 * time.Hour)
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	return der, key, err
}

func writePEM(path string, der []byte, key *ecdsa.PrivateKey) error {
	block := &pem.Block{Type: "CERTIFICATE", Bytes: der}
	if key != nil {
		k, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			return err
		}
		block = &pem.Block{Type: "EC PRIVATE KEY", Bytes: k}
	}
	return os.WriteFile(path, pem.EncodeToMemory(block), 0o600)
}
