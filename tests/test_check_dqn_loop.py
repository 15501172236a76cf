"""check_dqn_loop: a learner's whole DQN loop (notebook 05) against train_dqn.

The right loop below is notebook 05's solution.  Each wrong loop is that loop with
one or two lines changed, as a learner would get them wrong; the check must reject
it with a message naming the step and the mistake.  Right variants written in other
idioms must pass.  Whatever the loop does, the check raises nothing but its own
AssertionError (NotImplementedError, an unfilled exercise, passes through).
"""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
import torch

from dqn_helpers import DQNHooks, train_dqn
from dqn_helpers.checks import _loop_check_config, _mini_dqn_loop, _record_reference, check_dqn_loop

RIGHT_LOOP = '''
import torch
import torch.nn.functional as F
from torch import nn
from dqn_helpers import linear_schedule, make_target_network, polyak_update
from dqn_helpers.networks import NumpyGreedy


def epsilon_greedy(greedy, obs, epsilon, n_actions, rng):
    if rng.random() < epsilon:
        return int(rng.integers(n_actions))
    return greedy(obs)


def gradient_step(q_net, target_net, optimizer, batch, config):
    with torch.no_grad():
        next_value = target_net(batch.next_obs).max(dim=1).values
        td_target = batch.rewards + config.gamma * (1.0 - batch.terminated) * next_value
    q_taken = q_net(batch.obs).gather(1, batch.actions.unsqueeze(1)).squeeze(1)
    loss = F.smooth_l1_loss(q_taken, td_target)
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(q_net.parameters(), config.max_grad_norm)
    optimizer.step()
    return loss.item()


def dqn_loop(config, env, q_net, buffer, rng):
    target_net = make_target_network(q_net)
    optimizer = torch.optim.Adam(q_net.parameters(), lr=config.learning_rate, fused=True)
    greedy = NumpyGreedy(q_net)
    losses, episode_returns, episode_return = [], [], 0.0
    obs, _ = env.reset(seed=config.seed)
    for step in range(1, config.total_steps + 1):
        epsilon = linear_schedule(config.epsilon_start, config.epsilon_end, config.exploration_steps, step - 1)
        action = epsilon_greedy(greedy, obs, epsilon, env.action_space.n, rng)
        next_obs, reward, terminated, truncated, _ = env.step(action)
        buffer.add(obs, action, reward, next_obs, terminated)
        episode_return += reward
        if terminated or truncated:
            episode_returns.append(episode_return)
            obs, _ = env.reset()
            episode_return = 0.0
        else:
            obs = next_obs
        if step >= config.learning_starts and step % config.train_frequency == 0:
            for _ in range(config.gradient_steps):
                losses.append(gradient_step(q_net, target_net, optimizer, buffer.sample(config.batch_size), config))
        if step % config.target_update_interval == 0:
            polyak_update(target_net, q_net, config.tau)
    return losses, episode_returns
'''


def loop_with(*changes: tuple[str, str]):
    """The right loop with each (old, new) change made: old is whole lines (at any indentation) or a part of one line."""
    source = RIGHT_LOOP
    for old, new in changes:
        old, new = textwrap.dedent(old).strip("\n"), textwrap.dedent(new).strip("\n")
        lines = source.split("\n")
        # match the change at any indentation: find the line block, re-indent the replacement like it
        for i in range(len(lines)):
            block = lines[i:i + len(old.split("\n"))]
            indent = block[0][: len(block[0]) - len(block[0].lstrip())] if block else ""
            if [line[len(indent):] for line in block] == old.split("\n") and all(l.startswith(indent) for l in block):
                lines[i:i + len(block)] = [indent + line if line else line for line in new.split("\n")]
                break
        else:
            if "\n" in old or source.count(old) != 1:
                raise ValueError(f"not once in the right loop: {old!r}")
            lines = source.replace(old, new).split("\n")  # a change inside one line
        source = "\n".join(lines)
    namespace: dict = {}
    exec(compile(source, "<learner's loop>", "exec"), namespace)
    return namespace["dqn_loop"]


def rejected(loop) -> str:
    with pytest.raises(AssertionError) as info:
        check_dqn_loop(loop)
    return str(info.value)


# ----------------------------------------------------------------------------- the reference


def test_the_reference_record_is_train_dqn_bit_for_bit():
    config = _loop_check_config()
    plain = train_dqn(config, progress=False)
    record = _record_reference(config)
    assert np.array_equal(np.array(record.losses), plain.losses)
    assert np.array_equal(np.array(record.episode_returns), plain.episode_returns)


def test_the_checks_own_loop_without_a_mistake_is_train_dqn_and_passes(capsys):
    check_dqn_loop(_mini_dqn_loop)
    assert "looks right" in capsys.readouterr().out


def test_the_notebooks_loop_passes_and_the_check_restores_the_random_state(capsys):
    torch.manual_seed(123)
    np.random.seed(7)
    expected_torch, expected_np = torch.rand(3), np.random.rand(3)
    torch.manual_seed(123)
    np.random.seed(7)
    check_dqn_loop(loop_with())
    assert torch.equal(torch.rand(3), expected_torch) and np.array_equal(np.random.rand(3), expected_np)
    out = capsys.readouterr().out
    assert "looks right" in out and "time-limit cuts" in out


# ----------------------------------------------------------------------------- right variants

RIGHT_VARIANTS = {
    "own Polyak update with mul_/add_ (exact at tau = 1)": [(
        "polyak_update(target_net, q_net, config.tau)",
        """
        with torch.no_grad():
            for target_param, param in zip(target_net.parameters(), q_net.parameters()):
                target_param.mul_(1.0 - config.tau).add_(config.tau * param)""")],
    "copy with load_state_dict, mask written first, float reward": [
        ("polyak_update(target_net, q_net, config.tau)", "target_net.load_state_dict(q_net.state_dict())"),
        ("td_target = batch.rewards + config.gamma * (1.0 - batch.terminated) * next_value",
         "td_target = batch.rewards + (1 - batch.terminated) * config.gamma * next_value"),
        ("buffer.add(obs, action, reward, next_obs, terminated)",
         "buffer.add(obs, action, float(reward), next_obs, bool(terminated))")],
    "a while loop, rng.integers(0, n), the target outside no_grad (frozen, so no gradient)": [
        ("""for step in range(1, config.total_steps + 1):""", """
        step = 0
        while step < config.total_steps:
            step += 1"""),
        ("return int(rng.integers(n_actions))", "return int(rng.integers(0, n_actions))"),
        ("""
        with torch.no_grad():
            next_value = target_net(batch.next_obs).max(dim=1).values
            td_target = batch.rewards + config.gamma * (1.0 - batch.terminated) * next_value""",
         """
        next_value = target_net(batch.next_obs).max(dim=1).values
        td_target = batch.rewards + config.gamma * (1.0 - batch.terminated) * next_value""")],
    "greedy action from a torch forward pass (no near tie in this run)": [(
        "greedy = NumpyGreedy(q_net)",
        "greedy = lambda obs: int(q_net(torch.as_tensor(obs)).argmax())")],
}


@pytest.mark.parametrize("name", list(RIGHT_VARIANTS))
def test_right_variants_pass(name, capsys):
    check_dqn_loop(loop_with(*RIGHT_VARIANTS[name]))
    assert "looks right" in capsys.readouterr().out


# ----------------------------------------------------------------------------- wrong loops

WRONG_LOOPS = {
    "no terminated mask": (
        [("td_target = batch.rewards + config.gamma * (1.0 - batch.terminated) * next_value",
          "td_target = batch.rewards + config.gamma * next_value")],
        ["your loss is", "bootstraps past the end of an episode"]),
    "target from q_net": (
        [("next_value = target_net(batch.next_obs).max(dim=1).values",
          "next_value = q_net(batch.next_obs).max(dim=1).values")],
        ["gradient step", "comes from q_net itself"]),
    "gradients into the target": (
        [("""
        with torch.no_grad():
            next_value = target_net(batch.next_obs).max(dim=1).values
            td_target = batch.rewards + config.gamma * (1.0 - batch.terminated) * next_value""",
          """
        next_value = q_net(batch.next_obs).max(dim=1).values
        td_target = batch.rewards + config.gamma * (1.0 - batch.terminated) * next_value""")],
        ["the weights it left behind differ", "gradients flow into the TD target"]),
    "target update one round early (off by one)": (
        [("if step % config.target_update_interval == 0:", "if (step + 1) % config.target_update_interval == 0:")],
        ["your loss is", "one round too early"]),
    "target never updated": (
        [("polyak_update(target_net, q_net, config.tau)", "pass")],
        ["never changes"]),
    "truncation stored as terminated": (
        [("buffer.add(obs, action, reward, next_obs, terminated)",
          "buffer.add(obs, action, reward, next_obs, terminated or truncated)")],
        ["truncated=True, terminated=False", "Store terminated alone"]),
    "the reset observation stored as next_obs": (
        [("""
        buffer.add(obs, action, reward, next_obs, terminated)
        episode_return += reward
        if terminated or truncated:
            episode_returns.append(episode_return)
            obs, _ = env.reset()
            episode_return = 0.0
        else:
            obs = next_obs""",
          """
        episode_return += reward
        if terminated or truncated:
            episode_returns.append(episode_return)
            next_obs, _ = env.reset()
            episode_return = 0.0
        buffer.add(obs, action, reward, next_obs, terminated)
        obs = next_obs""")],
        ["first observation of the next episode"]),
    "epsilon off by one": (
        [("config.exploration_steps, step - 1)", "config.exploration_steps, step)")],
        ["at environment step", "off-by-one"]),
    "epsilon never decays": (
        [("epsilon = linear_schedule(config.epsilon_start, config.epsilon_end, config.exploration_steps, step - 1)",
          "epsilon = config.epsilon_start")],
        ["drew a random action", "ever decay"]),
    "random actions from the action space": (
        [("return int(rng.integers(n_actions))", "return int(env_action_space.sample())"),
         ("def dqn_loop(config, env, q_net, buffer, rng):", "def dqn_loop(config, env, q_net, buffer, rng):\n    global env_action_space\n    env_action_space = env.action_space")],
        ["at environment step 1 ", "not with env.action_space.sample()"]),
    "sampling before learning_starts": (
        [("if step >= config.learning_starts and step % config.train_frequency == 0:",
          "if len(buffer) >= config.batch_size and step % config.train_frequency == 0:")],
        ["before learning_starts"]),
    "training starts one round late (> instead of >=)": (
        [("if step >= config.learning_starts and", "if step > config.learning_starts and")],
        ["sampled nothing", "step > learning_starts"]),
    "one mini-batch per round": (
        [("""
            for _ in range(config.gradient_steps):
                losses.append(gradient_step(q_net, target_net, optimizer, buffer.sample(config.batch_size), config))""",
          """losses.append(gradient_step(q_net, target_net, optimizer, buffer.sample(config.batch_size), config))""")],
        ["you sampled 1 mini-batches, train_dqn 2"]),
    "squared error loss": (
        [("loss = F.smooth_l1_loss(q_taken, td_target)", "loss = F.mse_loss(q_taken, td_target)")],
        ["squared error"]),
    "no zero_grad": (
        [("optimizer.zero_grad()", "pass")],
        ["add up from one step to the next"]),
    "no clipping": (
        [("nn.utils.clip_grad_norm_(q_net.parameters(), config.max_grad_norm)", "pass")],
        ["not clipped"]),
    "Adam without fused=True": (
        [("lr=config.learning_rate, fused=True)", "lr=config.learning_rate)")],
        ["rounds differently", "fused=True"]),
    "max Q instead of the action taken": (
        [("q_taken = q_net(batch.obs).gather(1, batch.actions.unsqueeze(1)).squeeze(1)",
          "q_taken = q_net(batch.obs).max(dim=1).values")],
        ["of the action taken"]),
    "no reset at a time limit": (
        [("""
        if terminated or truncated:
            episode_returns.append(episode_return)""", """
        if terminated:
            episode_returns.append(episode_return)""")],
        ["although the episode had ended", "truncated=True"]),
    "episodes counted only when terminated": (
        [("""episode_returns.append(episode_return)""", """
        if terminated:
            episode_returns.append(episode_return)""")],
        ["episode_returns differ", "only when it terminated"]),
}


@pytest.mark.parametrize("name", list(WRONG_LOOPS))
def test_wrong_loops_are_rejected_with_the_right_diagnosis(name):
    changes, phrases = WRONG_LOOPS[name]
    message = rejected(loop_with(*changes))
    assert message.startswith("check_dqn_loop: ")
    for phrase in phrases:
        assert phrase in message, f"{name}: {phrase!r} not in\n{message}"


def test_there_are_at_least_five_wrong_loops():
    assert len(WRONG_LOOPS) >= 5


# ----------------------------------------------------------------------------- never a crash


def _returns_none(config, env, q_net, buffer, rng):
    env.reset(seed=config.seed)


def _raises(config, env, q_net, buffer, rng):
    obs, _ = env.reset(seed=config.seed)
    env.step(0)
    raise IndexError("list index out of range")


def _tensor_action(config, env, q_net, buffer, rng):
    obs, _ = env.reset(seed=config.seed)
    env.step(torch.tensor([0.5]))
    return [], []


def _never_stops(config, env, q_net, buffer, rng):
    obs, _ = env.reset(seed=config.seed)
    while True:
        obs, reward, terminated, truncated, _ = env.step(0)
        if terminated or truncated:
            env.reset()


def _swallows_everything(config, env, q_net, buffer, rng):
    try:
        return _never_stops(config, env, q_net, buffer, rng)
    except Exception:
        return [], []


def _tensor_losses(config, env, q_net, buffer, rng):
    return [torch.ones(3)], []


@pytest.mark.parametrize("loop, phrase", [
    (_returns_none, "return two lists"),
    (_raises, "raised IndexError at environment step 2"),
    (_tensor_action, "an action is one int"),
    (_never_stops, "more than config.total_steps"),
    (_swallows_everything, "more than config.total_steps"),
    (_tensor_losses, "loss.item(), not the loss tensor"),
])
def test_a_broken_loop_gets_a_message_not_a_crash(loop, phrase):
    assert phrase in rejected(loop)


def test_an_unfilled_exercise_lets_not_implemented_error_through():
    def dqn_loop(config, env, q_net, buffer, rng):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        check_dqn_loop(dqn_loop)


def test_a_non_function_is_a_type_error():
    with pytest.raises(TypeError, match="check_dqn_loop"):
        check_dqn_loop("dqn_loop")
