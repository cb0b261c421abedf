# Every tool server comes from the organisation's own registries: images from its OCI
# registry, packages from its npm scope.
package examples.internal_registry

import rego.v1

oci_registry := "ghcr.io/acme/"

npm_scope := "@acme/"

internal(s) if {
	s.kind == "oci"
	startswith(s.value, oci_registry)
}

internal(s) if {
	s.kind == "npm"
	startswith(s.value, npm_scope)
}

# METADATA
# title: A tool server from outside the internal registries
# custom:
#   code: ORG005
deny_external_source contains result if {
	some server, t in input.tools
	some i, s in t.sources
	not internal(s)
	result := {
		"msg": sprintf("tool server %s comes from %s, outside the internal registries", [server, s.value]),
		"at": ["tools", server, "sources", sprintf("%d", [i])],
		"help": sprintf("mirror it into %s (images) or %s (npm packages)", [oci_registry, npm_scope]),
	}
}

test_an_external_image_is_denied if {
	count(deny_external_source) == 1 with input as {"tools": {"gh": {"sources": [{"kind": "oci", "value": "ghcr.io/github/x@sha256:00"}]}}}
}

test_an_internal_image_is_allowed if {
	count(deny_external_source) == 0 with input as {"tools": {"gh": {"sources": [{"kind": "oci", "value": "ghcr.io/acme/x@sha256:00"}]}}}
}
