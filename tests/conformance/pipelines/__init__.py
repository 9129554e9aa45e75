"""Pipeline definitions used by the conformance tests.

Each module is a plain, self-contained module (it imports only ``kfp`` and the standard
library) so that it can also be handed to ``sluice.run`` as a ``.py`` file path.
Components count their real executions by appending a line to a file whose path is
passed in as the ``marker`` parameter.
"""

import warnings

# The suite uses kfp's default base image on purpose; its "default will change" notice is noise.
warnings.filterwarnings("ignore", message="The default base_image", category=FutureWarning)
# conditions.py exercises the deprecated dsl.Condition on purpose.
warnings.filterwarnings("ignore", "dsl.Condition is deprecated", DeprecationWarning)
