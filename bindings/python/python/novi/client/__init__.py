"""The client side of Novi, as Python Novi laid it out: ``from novi.client import flag``."""
