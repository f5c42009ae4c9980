"""AES-256-CBC with PKCS#7 padding, as WeCom and Feishu use it (via `cryptography`).

No cipher is implemented here: this module only wires `cryptography`'s AES,
CBC mode and PKCS7 padder together and turns every failure into `ValueError`.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def decrypt(key: bytes, iv: bytes, data: bytes, *, pad_block: int = 16) -> bytes:
    """Decrypt and unpad; `pad_block` is the PKCS#7 block in bytes (WeCom pads to 32)."""
    if not data or len(data) % 16:
        raise ValueError("ciphertext is not a whole number of AES blocks")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(data) + decryptor.finalize()
    unpadder = padding.PKCS7(pad_block * 8).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise ValueError("bad padding") from None


def encrypt(key: bytes, iv: bytes, data: bytes, *, pad_block: int = 16) -> bytes:
    """Pad and encrypt (used for WeCom's URL-verification tests and benchmarks)."""
    padder = padding.PKCS7(pad_block * 8).padder()
    padded = padder.update(data) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return encryptor.update(padded) + encryptor.finalize()
