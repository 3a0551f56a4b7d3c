"""Voronka: a self-hosted CRM for running and controlling a sales department."""
