"""Reports: rows and figures built from aggregate queries, then rendered to Excel and PDF."""

from reportlab import rl_config

# Attribute checking on reportlab's shapes and widgets is decided when
# reportlab.graphics is first imported: with it, every attribute set on a
# chart element goes through a validating __setattr__ (over a million calls
# per hundred reports). The charts are built only by this package, so it is
# switched off before anything imports reportlab.graphics.
rl_config.shapeChecking = 0
