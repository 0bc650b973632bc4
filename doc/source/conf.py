project = 'plugincron'
copyright = 'plugincron developers'
extensions = [
    'sphinx.ext.autodoc',
    'oslo_config.sphinxext',
]
master_doc = 'index'
exclude_patterns = []
html_theme = 'alabaster'
