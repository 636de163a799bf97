// Command vmrelay-apiserver runs a real Kubernetes API server for vmrelay's
// tests: k8s.io/apiextensions-apiserver (CRDs and custom resources) on top of
// an embedded etcd, serving TLS on loopback with client-certificate
// authentication. It is a test peer, never part of the product.
//
// One directory (--dir) holds everything: the PKI, the kubeconfigs, the etcd
// data and a "ready" marker written once every CRD of --crd-dir is
// Established.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/klog/v2"
)

type settings struct {
	dir        string
	crdDir     string
	host       string
	port       int
	etcdClient int
	etcdPeer   int
}

func main() {
	var s settings
	flag.StringVar(&s.dir, "dir", "", "state directory (PKI, kubeconfig, etcd data)")
	flag.StringVar(&s.crdDir, "crd-dir", "", "directory of CRD *.yaml files applied at startup")
	flag.StringVar(&s.host, "host", "127.0.0.1", "address the API server binds")
	flag.IntVar(&s.port, "port", 16443, "TLS port of the API server")
	flag.IntVar(&s.etcdClient, "etcd-client-port", 12379, "loopback port of etcd's client API")
	flag.IntVar(&s.etcdPeer, "etcd-peer-port", 12380, "loopback port of etcd's peer API")
	certsOnly := flag.Bool("certs-only", false, "write the PKI and kubeconfigs, then exit")
	klog.InitFlags(nil)
	flag.Parse()
	if s.dir == "" {
		fmt.Fprintln(os.Stderr, "vmrelay-apiserver: --dir is required")
		os.Exit(2)
	}
	if err := run(&s, *certsOnly); err != nil {
		fmt.Fprintf(os.Stderr, "vmrelay-apiserver: %v\n", err)
		os.Exit(1)
	}
}

func run(s *settings, certsOnly bool) error {
	dir, err := filepath.Abs(s.dir)
	if err != nil {
		return err
	}
	s.dir = dir
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return err
	}
	p, err := ensurePKI(filepath.Join(s.dir, "pki"))
	if err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	server := fmt.Sprintf("https://%s:%d", s.host, s.port)
	if err := writeKubeconfigs(s.dir, server, p); err != nil {
		return fmt.Errorf("kubeconfig: %w", err)
	}
	if certsOnly {
		return nil
	}
	// A marker from an earlier run must not announce this run as ready.
	_ = os.Remove(filepath.Join(s.dir, "ready"))

	ctx := genericapiserver.SetupSignalContext()
	etcd, err := startEtcd(s)
	if err != nil {
		return fmt.Errorf("etcd: %w", err)
	}
	defer etcd.Close()
	return serve(ctx, s, p, etcd.Err())
}

// waitOrDie ends the process when etcd fails, since the API server cannot
// serve anything without it and would otherwise hang half-alive.
func waitOrDie(ctx context.Context, etcdErr <-chan error) {
	select {
	case <-ctx.Done():
	case err := <-etcdErr:
		klog.Errorf("etcd stopped: %v", err)
		os.Exit(1)
	}
}
