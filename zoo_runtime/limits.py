"""What one call may ask of a model, the same in the Python API and in
every export (exports.graphs records them in zoo.json): the exported
graphs refuse past these, and so do CharLM.generate, FastStyle.stylize
and zoo.images. export(..., limits={...}) changes an export's, and
OnnxModel reads an export's from its zoo.json."""

MAX_PROMPT_CHARS = 4096  # characters of one generate prompt
MAX_GENERATE_LENGTH = 4096  # characters one generate call may ask for
MAX_IMAGE_PIXELS = 2048 * 2048  # pixels of one image a network runs on
MAX_REVIEW_CHARS = 1 << 22  # characters of one text to classify, refused before tokenising
# A file's declared size is checked against this before it is decoded
# (JPEGs decode scaled down first): 8K video frames and 48 MP phone photos
# pass, a 164 KB PNG declaring 169 Mpx does not.
MAX_DECODED_PIXELS = 8192 * 8192
MAX_BEAM_WIDTH = 16  # beams one search may keep: its work grows with batch x beam x length
# n of no_repeat_ngram_size: each step compares the row's last n - 1 tokens
# with every earlier position, so its work grows with n x length.
MAX_NGRAM_SIZE = 8
# Word vectors: the longest word read (no vocabulary word is near it) and
# the most neighbours one question returns.
MAX_WORD_CHARS = 100
MAX_NEAREST = 1000
