"""Paired corpora: clean sources -> gt/, lq/, optional instruction/ PNGs plus manifest.parquet.

``restorebench generate`` / :func:`generate` write a corpus (workers, shards, resume), :func:`merge_shards`
joins shard manifests, :func:`verify_corpus` re-hashes it, :func:`export_hf` writes a Hugging Face dataset and
:class:`PairedCorpus` reads either layout in a training loop. See docs/corpus.md.
"""

from degrade.corpus.config import CorpusConfig, Task, load_config, parse_config
from degrade.corpus.dataset import PairedCorpus
from degrade.corpus.hf import export_hf
from degrade.corpus.run import RunSummary, generate, merge_shards
from degrade.corpus.sources import folder_source, hf_source, list_source, open_source
from degrade.corpus.verify import VerifyReport, verify_corpus

__all__ = [
           "CorpusConfig",
           "PairedCorpus",
           "RunSummary",
           "Task",
           "VerifyReport",
           "export_hf",
           "folder_source",
           "generate",
           "hf_source",
           "list_source",
           "load_config",
           "merge_shards",
           "open_source",
           "parse_config",
           "verify_corpus",
]
