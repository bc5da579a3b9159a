"""Code that runs inside the Rasa process (Python 3.10 environment). Keep it small and dependency-free."""
