"""The researcher portal: server-rendered pages under /portal/ that call the scheduling services and selectors."""
