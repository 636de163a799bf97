package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	crdclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
	"sigs.k8s.io/yaml"
)

// applyCRDsOrDie creates or updates every CRD of --crd-dir, waits until all
// are Established and then writes the "ready" marker the start script waits
// for. A CRD that cannot be applied ends the process: a server without its
// CRDs would only fail the tests later and further from the cause.
func applyCRDsOrDie(ctx context.Context, cfg *rest.Config, s *settings) {
	names, err := applyCRDs(ctx, cfg, s.crdDir)
	if err != nil {
		klog.Errorf("applying CRDs from %s: %v", s.crdDir, err)
		os.Exit(1)
	}
	marker := filepath.Join(s.dir, "ready")
	if err := os.WriteFile(marker, []byte(fmt.Sprintln(names)), 0o644); err != nil {
		klog.Errorf("writing %s: %v", marker, err)
		os.Exit(1)
	}
	klog.Infof("CRDs established: %v", names)
}

func applyCRDs(ctx context.Context, cfg *rest.Config, dir string) ([]string, error) {
	if dir == "" {
		return nil, nil
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	client, err := crdclient.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	lister, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	crds := client.ApiextensionsV1().CustomResourceDefinitions()
	var names []string
	var applied []*crd
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		def := &crd{}
		if err := yaml.UnmarshalStrict(raw, def); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		if err := applyOne(ctx, crds, def); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		names = append(names, def.Name)
		applied = append(applied, def)
	}
	for _, name := range names {
		err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 60*time.Second, true,
			func(ctx context.Context) (bool, error) {
				got, err := crds.Get(ctx, name, metav1.GetOptions{})
				if err != nil {
					return false, err
				}
				return established(got), nil
			})
		if err != nil {
			return nil, fmt.Errorf("%s not Established: %w", name, err)
		}
	}
	// Established is not yet servable: until a new CRD's watch cache is
	// filled, a LIST answers 429 "storage is (re)initializing". Ready means
	// every kind can be listed, so tests need not retry.
	for _, c := range applied {
		if err := waitListable(ctx, lister, c); err != nil {
			return nil, fmt.Errorf("%s: %w", c.Name, err)
		}
	}
	return names, nil
}

type crd = apiextv1.CustomResourceDefinition

func waitListable(ctx context.Context, client dynamic.Interface, c *crd) error {
	var lastErr error
	for _, v := range c.Spec.Versions {
		if !v.Served {
			continue
		}
		gvr := schema.GroupVersionResource{Group: c.Spec.Group, Version: v.Name,
			Resource: c.Spec.Names.Plural}
		err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 60*time.Second, true,
			func(ctx context.Context) (bool, error) {
				_, lastErr = client.Resource(gvr).List(ctx, metav1.ListOptions{Limit: 1})
				return lastErr == nil, nil
			})
		if err != nil {
			return fmt.Errorf("LIST %s not served: %w (last error: %v)", gvr, err, lastErr)
		}
	}
	return nil
}

type crdAPI interface {
	Create(context.Context, *crd, metav1.CreateOptions) (*crd, error)
	Get(context.Context, string, metav1.GetOptions) (*crd, error)
	Update(context.Context, *crd, metav1.UpdateOptions) (*crd, error)
}

// applyOne creates the CRD, or replaces the spec of an existing one so that
// a restart over old etcd data still serves the CRDs of the work tree.
func applyOne(ctx context.Context, crds crdAPI, want *crd) error {
	_, err := crds.Create(ctx, want, metav1.CreateOptions{})
	if !apierrors.IsAlreadyExists(err) {
		return err
	}
	old, err := crds.Get(ctx, want.Name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	old.Spec = want.Spec
	old.Labels = want.Labels
	old.Annotations = want.Annotations
	_, err = crds.Update(ctx, old, metav1.UpdateOptions{})
	return err
}

func established(got *crd) bool {
	for _, c := range got.Status.Conditions {
		if c.Type == apiextv1.Established && c.Status == apiextv1.ConditionTrue {
			return true
		}
	}
	return false
}
