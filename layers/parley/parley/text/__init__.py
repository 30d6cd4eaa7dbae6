"""Plain-text measures and rules every layer may use: token estimates, personal data, printed-page furniture."""
