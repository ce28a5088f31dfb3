"""Renderers: each turns an :class:`~audit.report.AuditReport` into one output format."""
