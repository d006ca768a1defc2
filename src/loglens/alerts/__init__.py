"""Alert rules, the engine that turns their findings into stored alert transitions, and notifiers."""
