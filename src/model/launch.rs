//! Launch commands of MCP client configs (written by a helper).
