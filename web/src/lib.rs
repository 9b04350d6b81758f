//! (The web app: placeholder until the browser issue.)
