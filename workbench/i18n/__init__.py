"""The learner's language: choosing it, the message catalogues, and Chinese line breaking."""
