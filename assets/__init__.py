"""The project's own data files (demo set, annotation guidelines), installed as the
package `duelist.assets` so that a wheel carries them too (read with importlib.resources)."""
