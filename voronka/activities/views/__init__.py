"""Pages of tasks, "My day" and notifications; the URLs import the modules by name."""
