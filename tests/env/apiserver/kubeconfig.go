package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// writeKubeconfigs writes two kubeconfigs in the block YAML style kubectl
// itself writes: "kubeconfig" refers to the PEM files by absolute path,
// "kubeconfig-embedded" carries them as base64 *-data fields.
func writeKubeconfigs(dir, server string, p pki) error {
	byPath := kubeconfig(server,
		"certificate-authority: "+p.caCert,
		"client-certificate: "+p.clientCert,
		"client-key: "+p.clientKey)
	if err := os.WriteFile(filepath.Join(dir, "kubeconfig"), []byte(byPath), 0o600); err != nil {
		return err
	}
	var data [3]string
	for i, f := range []string{p.caCert, p.clientCert, p.clientKey} {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		data[i] = base64.StdEncoding.EncodeToString(b)
	}
	embedded := kubeconfig(server,
		"certificate-authority-data: "+data[0],
		"client-certificate-data: "+data[1],
		"client-key-data: "+data[2])
	return os.WriteFile(filepath.Join(dir, "kubeconfig-embedded"), []byte(embedded), 0o600)
}

func kubeconfig(server, ca, cert, key string) string {
	lines := []string{
		"apiVersion: v1",
		"kind: Config",
		"clusters:",
		"- name: vmrelay-test",
		"  cluster:",
		"    server: " + server,
		"    " + ca,
		"users:",
		"- name: vmrelay-test",
		"  user:",
		"    " + cert,
		"    " + key,
		"contexts:",
		"- name: vmrelay-test",
		"  context:",
		"    cluster: vmrelay-test",
		"    user: vmrelay-test",
		"    namespace: default",
		"current-context: vmrelay-test",
	}
	return fmt.Sprintln(strings.Join(lines, "\n"))
}
