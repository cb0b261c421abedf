# Least privilege across agents and tools: a tool that changes the world is held only by
# agents whose role acts, and one that destroys is followed by a critic.
package examples.least_privilege

import rego.v1

# Roles that only read.
read_only_roles := {"retriever", "summarizer", "router"}

# The tools that write and those that destroy, each as an agent names it (`server.tool`).
# Sets built once per evaluation and then looked up: a function that split an agent's
# reference and looked its tool up again for every agent took three times as long on a
# repository of 2,000 agents. A name is split at its first dot, as agentlock reads it:
# `fs.files.delete` is the tool `files.delete` of the server `fs`.
writing contains ref if {
	some server, s in input.tools
	some name, t in s.tools
	writes(t)
	ref := concat(".", [server, name])
}

destructive contains ref if {
	some server, s in input.tools
	some name, t in s.tools
	t.annotations.destructiveHint == true
	ref := concat(".", [server, name])
}

writes(t) if t.annotations.readOnlyHint == false

writes(t) if t.annotations.destructiveHint == true

# METADATA
# title: A read-only role holds a tool that writes
# description: An agent whose role only reads (retriever, summarizer, router) must not hold a tool that changes anything.
# custom:
#   code: ORG001
deny_read_only_role_writes contains result if {
	some name, a in input.agents
	read_only_roles[a.role]
	some i, ref in a.tools
	writing[ref]
	result := {
		"msg": sprintf("agent %s (role %s) holds %s, which writes", [name, a.role, ref]),
		"at": ["agents", name, "tools", sprintf("%d", [i])],
		"help": "give the tool to an executor agent, or use a read-only tool",
	}
}

# METADATA
# title: A destructive tool with no critic after it
# custom:
#   code: ORG002
deny_destructive_without_critic contains result if {
	some name, a in input.agents
	some ref in a.tools
	destructive[ref]
	not hands_to_critic(a)
	result := {
		"msg": sprintf("agent %s calls the destructive tool %s and hands off to no critic", [name, ref]),
		"subject": name,
	}
}

hands_to_critic(a) if {
	some h in a.handoffs
	input.agents[h.to].role == "critic"
}

test_a_retriever_with_a_writing_tool_is_denied if {
	count(deny_read_only_role_writes) == 1 with input as {
		"agents": {"r": {"role": "retriever", "tools": ["gh.create_issue"], "handoffs": []}},
		"tools": {"gh": {"tools": {"create_issue": {"annotations": {"readOnlyHint": false}}}}},
	}
}

test_an_executor_with_a_writing_tool_is_allowed if {
	count(deny_read_only_role_writes) == 0 with input as {
		"agents": {"e": {"role": "executor", "tools": ["gh.create_issue"], "handoffs": []}},
		"tools": {"gh": {"tools": {"create_issue": {"annotations": {"readOnlyHint": false}}}}},
	}
}

test_a_destructive_tool_needs_a_critic_after_it if {
	count(deny_destructive_without_critic) == 1 with input as {
		"agents": {"e": {"role": "executor", "tools": ["db.drop"], "handoffs": []}},
		"tools": {"db": {"tools": {"drop": {"annotations": {"destructiveHint": true}}}}},
	}
	count(deny_destructive_without_critic) == 0 with input as {
		"agents": {
			"e": {"role": "executor", "tools": ["db.drop"], "handoffs": [{"to": "c"}]},
			"c": {"role": "critic", "tools": [], "handoffs": []},
		},
		"tools": {"db": {"tools": {"drop": {"annotations": {"destructiveHint": true}}}}},
	}
}

test_a_tool_name_with_a_dot_is_one_tool if {
	count(deny_destructive_without_critic) == 1 with input as {
		"agents": {"e": {"role": "executor", "tools": ["fs.files.delete"], "handoffs": []}},
		"tools": {"fs": {"tools": {
			"files": {"annotations": {"destructiveHint": false}},
			"files.delete": {"annotations": {"destructiveHint": true}},
		}}},
	}
}
