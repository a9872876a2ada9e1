"""``keras.preprocessing``: ``image`` (``load_img``, ``img_to_array``, ``array_to_img``, ``save_img``,
``smart_resize``), ``sequence.pad_sequences`` (Keras's other name for ``keras.utils.pad_sequences``) and
Keras 3's other names for ``keras.utils``' ``image_dataset_from_directory``, ``text_dataset_from_directory`` and
``timeseries_dataset_from_array``.

Example:
    >>> from fnlearn.keras.preprocessing.sequence import pad_sequences
    >>> pad_sequences([[7], [8, 9]]).tolist()
    [[0, 7], [8, 9]]
"""

from ...datasets.images import image_dataset_from_directory
from ...datasets.sequences import text_dataset_from_directory, timeseries_dataset_from_array
from .._missing import not_provided
from . import image, sequence

__all__ = ["image", "sequence", "image_dataset_from_directory", "text_dataset_from_directory",
           "timeseries_dataset_from_array"]

__getattr__ = not_provided(__name__, __all__)
