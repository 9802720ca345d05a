// The Gateway API v1.6.1 conformance suite, Gateway profiles, against Gantry on the cluster
// of $KUBECONFIG (the local cluster of `npm run cluster:up`, or kind). Run it through run.sh
// (`npm run test:conformance`), which brings the cluster up and prints the report's summary.
//
// Every flag of the suite works (-run-test, -skip-tests, -supported-features, -debug, ...).
// Defaults differ from the suite's where Gantry has an answer:
//
//	-gateway-class          gantry
//	-conformance-profiles   every Gateway profile (GATEWAY-HTTP, GATEWAY-GRPC, GATEWAY-TLS,
//	                        GATEWAY-TCP, GATEWAY-UDP) whose core features the GatewayClass claims
//	-supported-features     what the GatewayClass status claims (status.supportedFeatures)
//	-report-output          out/report.yaml (with -run-test or -core-only: none, a partial
//	                        run is no report)
//	implementation          organization/project gantry, url, version (-version), contact
//
// and one flag of our own: -core-only keeps only the selected profiles' core features (Gateway,
// ReferenceGrant and each profile's route kind) of the claimed ones: the core tests, for CI.
package conformance

import (
	"context"
	"flag"
	"slices"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/gateway-api/conformance"
	"sigs.k8s.io/gateway-api/conformance/tests"
	"sigs.k8s.io/gateway-api/conformance/utils/suite"
	"sigs.k8s.io/gateway-api/pkg/features"
)

var coreOnly = flag.Bool("core-only", false, "test only the selected profiles' core features (Gateway, ReferenceGrant, their route kinds) of the claimed ones")

// gatewayProfiles: the Gateway conformance profiles, in the order they are reported.
var gatewayProfiles = []suite.ConformanceProfile{
	suite.GatewayHTTPConformanceProfile,
	suite.GatewayGRPCConformanceProfile,
	suite.GatewayTLSConformanceProfile,
	suite.GatewayTCPConformanceProfile,
	suite.GatewayUDPConformanceProfile,
}

const (
	gatewayClassName    = "gantry"
	controllerName      = "gantry.dev/gatewayclass-controller"
	defaultReportOutput = "out/report.yaml"
)

// isSet tells whether a flag was given on the command line (the suite's defaults are not ours).
func isSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func TestConformance(t *testing.T) {
	opts := conformance.DefaultOptions(t)

	if !isSet("gateway-class") {
		opts.GatewayClassName = gatewayClassName
	}
	partial := *coreOnly || opts.RunTest != "" || len(opts.SkipTests) > 0
	if !isSet("report-output") && !partial {
		opts.ReportOutputPath = defaultReportOutput
	}
	impl := &opts.Implementation
	if impl.Organization == "" {
		impl.Organization = "gantry"
	}
	if impl.Project == "" {
		impl.Project = "gantry"
	}
	if impl.URL == "" {
		impl.URL = "https://gantry.dev"
	}
	if impl.Version == "" {
		impl.Version = "dev"
	}
	if len(impl.Contact) == 0 {
		impl.Contact = []string{"@gantry/maintainers"}
	}

	if !isSet("supported-features") && !opts.EnableAllSupportedFeatures {
		claimed := claimedFeatures(t, opts)
		opts.SupportedFeatures = claimed
		t.Logf("GatewayClass %s claims %d features", opts.GatewayClassName, len(claimed))
	}
	if !isSet("conformance-profiles") {
		opts.ConformanceProfiles = claimedProfiles(opts.SupportedFeatures)
	}
	t.Logf("conformance profiles: %v", opts.ConformanceProfiles)
	if *coreOnly {
		// Skip the tests that need a feature beyond the profiles' core ones, but keep every claimed
		// feature: some core tests check what happens when a feature is NOT claimed (e.g.
		// TLSRouteListenerTerminateNotSupported), and must see the real claim.
		core := sets.New[features.FeatureName]()
		for _, p := range gatewayProfiles {
			if slices.Contains(opts.ConformanceProfiles, p.Name) {
				core = core.Union(p.CoreFeatures)
			}
		}
		for _, ct := range tests.ConformanceTests {
			if slices.ContainsFunc(ct.Features, func(f features.FeatureName) bool { return !core.Has(f) }) && !slices.Contains(opts.SkipTests, ct.ShortName) {
				opts.SkipTests = append(opts.SkipTests, ct.ShortName)
			}
		}
	}

	conformance.RunConformanceWithOptions(t, opts)
}

// claimedProfiles: the Gateway profiles all of whose core features are claimed (a profile whose
// route kind is not supported is left out rather than failed).
func claimedProfiles(claimed []features.FeatureName) []suite.ConformanceProfileName {
	have := sets.New(claimed...)
	var out []suite.ConformanceProfileName
	for _, p := range gatewayProfiles {
		if have.IsSuperset(p.CoreFeatures) {
			out = append(out, p.Name)
		}
	}
	return out
}

// claimedFeatures waits for the GatewayClass to be Accepted by Gantry and returns the features its
// status claims: the suite tests exactly what the implementation says it supports.
func claimedFeatures(t *testing.T, opts suite.ConformanceOptions) []features.FeatureName {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var last string
	for {
		gwc := &gatewayv1.GatewayClass{}
		err := opts.Client.Get(ctx, types.NamespacedName{Name: opts.GatewayClassName}, gwc)
		switch {
		case err != nil:
			last = err.Error()
		case string(gwc.Spec.ControllerName) != controllerName:
			t.Fatalf("GatewayClass %s belongs to %s, not %s", gwc.Name, gwc.Spec.ControllerName, controllerName)
		case !accepted(gwc):
			last = "not Accepted yet"
		case len(gwc.Status.SupportedFeatures) == 0:
			last = "Accepted, but status.supportedFeatures is empty"
		default:
			claimed := make([]features.FeatureName, 0, len(gwc.Status.SupportedFeatures))
			for _, f := range gwc.Status.SupportedFeatures {
				claimed = append(claimed, features.FeatureName(f.Name))
			}
			return claimed
		}
		select {
		case <-ctx.Done():
			t.Fatalf("GatewayClass %s: no supported features to test (%s); is the controller running?", opts.GatewayClassName, last)
		case <-time.After(time.Second):
		}
	}
}

func accepted(gwc *gatewayv1.GatewayClass) bool {
	for _, c := range gwc.Status.Conditions {
		if c.Type == string(gatewayv1.GatewayClassConditionStatusAccepted) {
			return c.Status == "True" && c.ObservedGeneration == gwc.Generation
		}
	}
	return false
}
