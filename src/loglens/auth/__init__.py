"""Access control: API keys with roles, the one gate every request passes, dashboard sessions, limits."""
