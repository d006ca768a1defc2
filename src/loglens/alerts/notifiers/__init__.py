"""Notifiers: one module each, every one a `Notifier` (base.py) that delivers one outbox row or raises
DeliveryError saying whether a retry can help. build.py makes them from alerting.handlers."""
