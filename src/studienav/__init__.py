"""studienav: register, portal and workflows of a Swedish regional node for clinical research."""
