# An approved-model list: every model alias names a model the organisation has approved, and
# no alias floats.
package examples.approved_models

import rego.v1

approved := {
	"claude-sonnet-4-6",
	"claude-opus-4-7",
	"claude-haiku-4-5-20251001",
	"gpt-4.1-2025-04-14",
	"gpt-4o-mini-2024-07-18",
}

# METADATA
# title: A model outside the approved list
# custom:
#   code: ORG003
deny_unapproved_model contains result if {
	some alias, m in input.models
	m.id != null
	not approved[m.id]
	result := {
		"msg": sprintf("model alias %s names %s, which is not on the approved list", [alias, m.id]),
		"at": sprintf("models.%s.id", [alias]),
		"help": "use an approved model, or ask the platform team to approve this one",
	}
}

# METADATA
# title: A model alias that floats
# custom:
#   code: ORG004
warn_floating_model contains result if {
	some alias, m in input.models
	m.pinning == "floating"
	result := {"msg": sprintf("model alias %s floats: the model behind it can change", [alias]), "at": sprintf("models.%s.id", [alias])}
}

test_an_unapproved_model_is_denied if {
	count(deny_unapproved_model) == 1 with input as {"models": {"x": {"id": "some-model", "pinning": "pinned"}}}
}

test_an_approved_model_is_allowed if {
	count(deny_unapproved_model) == 0 with input as {"models": {"x": {"id": "claude-opus-4-7", "pinning": "pinned"}}}
}
