"""SOPS-encrypted files as talhelper reads them: age natively (MAC checked), other key types via ``sops``."""

from .decrypt import SopsError, decrypt_file, decrypt_text, is_encrypted

__all__ = ["SopsError", "decrypt_file", "decrypt_text", "is_encrypted"]
