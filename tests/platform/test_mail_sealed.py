"""Mailed links are single-use credentials: they never sit in plaintext in Redis (the
arq job and its kept result), and the mail still arrives."""

from __future__ import annotations

from api.mail.service import send_mail

TOKEN = "hf_mail_Zq8sealedSingleUseToken0123456789"


async def _redis_dump(redis) -> bytes:
    out = bytearray()
    async for key in redis.scan_iter(match="*"):
        out += key if isinstance(key, bytes) else key.encode()
        kind = await redis.type(key)
        kind = kind.decode() if isinstance(kind, bytes) else kind
        if kind == "string":
            out += await redis.get(key) or b""
        elif kind == "zset":
            for member in await redis.zrange(key, 0, -1):
                out += member
        elif kind == "hash":
            for k, v in (await redis.hgetall(key)).items():
                out += k + v
        elif kind == "list":
            for item in await redis.lrange(key, 0, -1):
                out += item
    return bytes(out)


async def test_mail_bodies_are_sealed_in_redis(resources, mailbox, run_core_jobs) -> None:
    link = f"http://app.test/reset-password?token={TOKEN}"
    await send_mail(
        resources, to="ada@example.test", subject=f"Reset {TOKEN}", body=f"Open {link}\n"
    )
    queued = await _redis_dump(resources.redis)
    assert b"arq:job:" in queued  # the job is there...
    assert TOKEN.encode() not in queued  # ...without the token

    await run_core_jobs()
    assert link in "\n".join(mailbox.bodies("ada@example.test"))
    assert TOKEN.encode() not in await _redis_dump(resources.redis)  # nor in its result
