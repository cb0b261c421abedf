# The two-person rule: a prompt change is reviewed by two owners, so every prompt has a
# CODEOWNERS entry naming at least two.
package examples.two_person

import rego.v1

# METADATA
# title: A prompt with fewer than two code owners
# custom:
#   code: ORG006
deny_prompt_without_two_owners contains result if {
	some name, p in input.prompts
	count(p.owners) < 2
	result := {
		"msg": sprintf("prompt %s (%s) has %d code owner(s): a change to it needs two reviewers", [name, p.path, count(p.owners)]),
		"subject": name,
		"help": "give its path a CODEOWNERS line with two owners (people or teams)",
	}
}

test_one_owner_is_denied if {
	count(deny_prompt_without_two_owners) == 1 with input as {"prompts": {"p": {"path": "prompts/p.prompt", "owners": ["@a"]}}}
}

test_two_owners_are_allowed if {
	count(deny_prompt_without_two_owners) == 0 with input as {"prompts": {"p": {"path": "prompts/p.prompt", "owners": ["@a", "@b"]}}}
}
