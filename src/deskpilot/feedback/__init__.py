"""Edit feedback: every edit an agent makes to a draft, what it measures, and what it teaches."""
