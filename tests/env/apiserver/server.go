package main

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"

	noopoteltrace "go.opentelemetry.io/otel/trace/noop"
	"k8s.io/apiextensions-apiserver/pkg/apiserver"
	"k8s.io/apiextensions-apiserver/pkg/cmd/server/options"
	generatedopenapi "k8s.io/apiextensions-apiserver/pkg/generated/openapi"
	openapinamer "k8s.io/apiserver/pkg/endpoints/openapi"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/util/openapi"
	"k8s.io/apiserver/pkg/util/webhook"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/klog/v2"
)

// serve configures apiextensions-apiserver as a stand-alone server: it has
// no kube-apiserver to delegate to, so the pieces that need one are off.
//   - CoreAPI: no core informers. Hence no admission plugins (they all read
//     core informers), in particular no NamespaceLifecycle: custom resources
//     can be created in any namespace, "default" included, without a
//     Namespace object (this server does not serve namespaces).
//   - Authentication: client certificates signed by the test CA only.
//   - Authorization: the group system:masters is allowed everything, and
//     /healthz, /readyz, /livez are open; everyone else is denied.
//   - Priority and fairness: needs the flowcontrol API, which is not served.
func serve(ctx context.Context, s *settings, p pki, etcdErr <-chan error) error {
	o := options.NewCustomResourceDefinitionsServerOptions(os.Stdout, os.Stderr)
	if err := o.ServerRunOptions.ComponentGlobalsRegistry.Set(); err != nil {
		return err
	}
	ro := o.RecommendedOptions
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", s.etcdClient)
	ro.Etcd.StorageConfig.Transport.ServerList = []string{etcdURL}
	ro.SecureServing.BindAddress = net.ParseIP(s.host)
	ro.SecureServing.BindPort = s.port
	ro.SecureServing.ServerCert.CertKey.CertFile = p.serverCert
	ro.SecureServing.ServerCert.CertKey.KeyFile = p.serverKey
	ro.Authentication.RemoteKubeConfigFileOptional = true
	ro.Authentication.SkipInClusterLookup = true
	ro.Authentication.ClientCert.ClientCA = p.caCert
	ro.Authorization.RemoteKubeConfigFileOptional = true
	ro.Authorization.AlwaysAllowGroups = []string{"system:masters"}
	ro.Authorization.AlwaysAllowPaths = []string{"/healthz", "/readyz", "/livez"}
	ro.CoreAPI = nil
	ro.Admission = nil
	ro.Features.EnablePriorityAndFairness = false

	if err := o.Complete(); err != nil {
		return err
	}
	if err := o.Validate(); err != nil {
		return err
	}
	config, err := newConfig(o)
	if err != nil {
		return err
	}
	server, err := config.Complete().New(genericapiserver.NewEmptyDelegate())
	if err != nil {
		return err
	}
	gs := server.GenericAPIServer
	apply := func(hc genericapiserver.PostStartHookContext) error {
		go applyCRDsOrDie(hc, gs.LoopbackClientConfig, s)
		return nil
	}
	err = gs.AddPostStartHook("vmrelay-apply-crds", apply)
	if err != nil {
		return err
	}
	go waitOrDie(ctx, etcdErr)
	klog.Infof("serving on https://%s:%d", s.host, s.port)
	return gs.PrepareRun().RunWithContext(ctx)
}

// newConfig is options.Config without the core-API service lister, which a
// server without CoreAPI does not have.
func newConfig(o *options.CustomResourceDefinitionsServerOptions) (*apiserver.Config, error) {
	serverConfig := genericapiserver.NewRecommendedConfig(apiserver.Codecs)
	if err := o.ServerRunOptions.ApplyTo(&serverConfig.Config); err != nil {
		return nil, err
	}
	if err := o.RecommendedOptions.ApplyTo(serverConfig); err != nil {
		return nil, err
	}
	err := o.APIEnablement.ApplyTo(&serverConfig.Config, apiserver.DefaultAPIResourceConfigSource(),
		apiserver.Scheme)
	if err != nil {
		return nil, err
	}
	serverConfig.OpenAPIV3Config = genericapiserver.DefaultOpenAPIV3Config(
		openapi.GetOpenAPIDefinitionsWithoutDisabledFeatures(generatedopenapi.GetOpenAPIDefinitions),
		openapinamer.NewDefinitionNamer(apiserver.Scheme, scheme.Scheme))
	return &apiserver.Config{
		GenericConfig: serverConfig,
		ExtraConfig: apiserver.ExtraConfig{
			CRDRESTOptionsGetter: options.NewCRDRESTOptionsGetter(*o.RecommendedOptions.Etcd,
				serverConfig.ResourceTransformers, serverConfig.StorageObjectCountTracker),
			ServiceResolver: noServices{},
			AuthResolverWrapper: webhook.NewDefaultAuthenticationInfoResolverWrapper(nil, nil,
				serverConfig.LoopbackClientConfig, noopoteltrace.NewTracerProvider()),
		},
	}, nil
}

// noServices resolves no conversion-webhook service: there are no Services
// without a core API, and vmrelay's CRDs use no conversion webhook.
type noServices struct{}

func (noServices) ResolveEndpoint(namespace, name string, port int32) (*url.URL, error) {
	return nil, fmt.Errorf("service %s/%s:%d: this test server serves no Services",
		namespace, name, port)
}
