"""crypto/rsa: what Go checks of a private key it parses (x509.ParsePKCS1PrivateKey and ParsePKCS8PrivateKey call
PrivateKey.Validate): the numbers agree with each other. Go does not test the primes for primality; OpenSSL's
RSA_check_key does, at 0.14-0.4 s for a 4096-bit key, which every preview would pay."""

from __future__ import annotations

from typing import Protocol


class PublicNumbers(Protocol):
    @property
    def n(self) -> int: ...

    @property
    def e(self) -> int: ...


class PrivateNumbers(Protocol):
    """The shape of cryptography's RSAPrivateNumbers (this package imports nothing outside the standard library)."""

    @property
    def p(self) -> int: ...

    @property
    def q(self) -> int: ...

    @property
    def d(self) -> int: ...

    @property
    def dmp1(self) -> int: ...

    @property
    def dmq1(self) -> int: ...

    @property
    def iqmp(self) -> int: ...

    @property
    def public_numbers(self) -> PublicNumbers: ...


def validate(numbers: PrivateNumbers) -> str | None:
    """What is wrong with an RSA key's numbers (PrivateKey.Validate: N is the product of the primes, each above 1,
    and D inverts E modulo each prime minus one; plus the CRT values OpenSSL signs with), or None."""
    n, e = numbers.public_numbers.n, numbers.public_numbers.e
    p, q, d = numbers.p, numbers.q, numbers.d
    if p <= 1 or q <= 1 or p * q != n:
        return "the modulus is not the product of its primes"
    if e < 3 or e % 2 == 0:
        return "the public exponent is not an odd number above 2"
    if (d * e) % (p - 1) != 1 or (d * e) % (q - 1) != 1:
        return "the private exponent does not invert the public one"
    if numbers.dmp1 != d % (p - 1) or numbers.dmq1 != d % (q - 1) or (numbers.iqmp * q) % p != 1:
        return "the CRT values do not match the primes"
    return None
