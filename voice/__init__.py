"""Offline voice commands (Vosk) and speech output (pyttsx3): not built yet (issue 8)."""
