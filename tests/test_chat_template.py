"""Prompt rendering through a tokenizer that has a chat template (the Qwen3 presets' path), on a tokenizer built here:
the smoke tokenizer with a Qwen3-style template (`<|im_start|>role … <|im_end|>`, the empty think block when
`enable_thinking` is false)."""
import copy
import pytest
from projected_grpo.adapter import load_model
from projected_grpo.problems import CHAT_PROMPT, HINTS, PLAIN_PROMPT, load_problems, make_pairs, render_prompt

TEMPLATE = ("{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}{% endfor %}"
            "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}"
            "{% if enable_thinking is defined and not enable_thinking %}{{ '<think>\\n\\n</think>\\n\\n' }}{% endif %}"
            "{% endif %}")


@pytest.fixture(scope='module')
def tok():
    t = copy.deepcopy(load_model('smoke')[1])
    assert not getattr(t, 'chat_template', None)            # the smoke tokenizer has none: plain prompts
    t.chat_template = TEMPLATE
    return t


def fields(p, mode=None):
    return dict(description=p.description, signature=p.signature, hint=HINTS[mode or p.mode])


def test_render_prompt_uses_the_chat_template(tok):
    p = load_problems('tiny')[0]
    user = CHAT_PROMPT.format(**fields(p))
    assert render_prompt(p, tokenizer=tok) == f"<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"
    thinking = render_prompt(p, tokenizer=tok, chat_kwargs={'enable_thinking': True})
    assert thinking == f"<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"     # chat_kwargs reach the template
    other = next(m for m in HINTS if m != p.mode)
    assert HINTS[other] in render_prompt(p, other, tokenizer=tok) and HINTS[p.mode] not in render_prompt(p, other, tokenizer=tok)
    assert render_prompt(p) == PLAIN_PROMPT.format(**fields(p)) != render_prompt(p, tokenizer=tok)


def test_the_rendered_prompt_reaches_pairs_and_tokens(tok):
    problems = load_problems('tiny')
    pairs = make_pairs(problems[:3], tokenizer=tok)
    assert pairs and all(x.prompt.startswith('<|im_start|>user\n') for x in pairs)
    s = render_prompt(problems[0], tokenizer=tok)
    assert tok.decode(tok(s, add_special_tokens=False)['input_ids']) == s                 # byte-level: lossless
