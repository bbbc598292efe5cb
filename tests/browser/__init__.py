"""Browser tests (Playwright + Debian chromium against a real `streamlit run app.py`)."""
