"""Security checks (issue 7): brute force against the throttle, secrets that must never leak, kiosk mode."""
