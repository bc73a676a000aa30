// CoreDNS for the offline kind node image, built the way CoreDNS documents for custom builds: a
// main package that links only the plugins it needs. These are the plugins in kubeadm's Corefile,
// plus log and hosts for a cluster being debugged. The stock build links every plugin, with the
// SDKs of three clouds, and takes minutes longer to compile.
//
// `cargo xtask kind image` copies this file into a module in its cache, next to a go.mod that
// requires the pinned CoreDNS release, and checks that `coredns -plugins` lists every plugin.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/forward"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/hosts"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/loop"
	_ "github.com/coredns/coredns/plugin/metrics"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
)

// The directives the plugins above register (metrics registers "prometheus").
var linked = map[string]bool{
	"cache":       true,
	"errors":      true,
	"forward":     true,
	"health":      true,
	"hosts":       true,
	"kubernetes":  true,
	"loadbalance": true,
	"log":         true,
	"loop":        true,
	"prometheus":  true,
	"ready":       true,
	"reload":      true,
}

// Keep CoreDNS's own directive order (the order a query passes the plugins), minus the plugins
// this build does not link, so a Corefile naming one of those fails as an unknown directive.
func init() {
	var directives []string
	for _, d := range dnsserver.Directives {
		if linked[d] {
			directives = append(directives, d)
		}
	}
	dnsserver.Directives = directives
}

func main() {
	coremain.Run()
}
