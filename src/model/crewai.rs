//! CrewAI crews: `config/agents.yaml` and `config/tasks.yaml` (written by a helper).
