"""Tests of the system as a whole: the outsider walk, browsers, settings."""
