"""Web form pages: the settings pages and the public address."""
