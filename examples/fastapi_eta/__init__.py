"""A worked serving backend for MLDeck: ride-delay predictions (deployment ``eta``) with FastAPI."""
