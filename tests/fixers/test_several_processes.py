"""MF605 several_processes: which commands leave more than one process running."""

from __future__ import annotations

import pytest
from manifesto.fixers import several_processes

from manifesto.engine import EngineSettings, check_text, fix_text

SETTINGS = EngineSettings(unsafe_fixes=True)


def _named(src: str) -> list[str] | None:
    """The processes the one finding names; None when there is no finding."""
    findings = check_text(f"FROM debian:12\n{src}\n", [several_processes], SETTINGS)
    if not findings:
        return None
    (finding,) = findings
    assert finding.violation.fix is None
    assert finding.violation.reason is not None
    assert finding.violation.reason.slug == "several-processes"
    listed = finding.violation.message.split("(", 1)[1].split(")", 1)[0]
    return [name.strip("` ") for name in listed.split(",")]


@pytest.mark.parametrize(
    ("src", "names"),
    [
        pytest.param("CMD supervisord -n", ["supervisord"], id="supervisord"),
        pytest.param('CMD ["/usr/bin/supervisord"]', ["supervisord"], id="exec supervisord"),
        pytest.param("CMD runsvdir /etc/service", ["runsvdir"], id="runit"),
        pytest.param("CMD honcho start", ["honcho"], id="procfile runner"),
        pytest.param("CMD a & b", ["a", "b"], id="background"),
        pytest.param("CMD a & b & wait", ["a", "b"], id="background twice"),
        pytest.param("CMD nginx && node app.js", ["nginx", "node"], id="nginx detaches"),
        pytest.param("CMD nginx; exec node app.js", ["nginx", "node"], id="sequence"),
        pytest.param(
            "CMD service cron start && tail -f /var/log/cron.log", ["cron", "tail"], id="service"
        ),
        pytest.param("CMD rc-service sshd start && app", ["sshd", "app"], id="openrc"),
        pytest.param("CMD /etc/init.d/mysql start && app", ["mysql", "app"], id="init script"),
        pytest.param("CMD php-fpm && nginx -g 'daemon off;'", ["php-fpm", "nginx"], id="php-fpm"),
        pytest.param("CMD sshd && app", ["sshd", "app"], id="sshd"),
        pytest.param("CMD crond && app", ["crond", "app"], id="crond"),
        pytest.param("CMD apache2ctl start && app", ["apache2ctl", "app"], id="apache2ctl"),
        pytest.param("CMD memcached -d && app", ["memcached", "app"], id="memcached -d"),
        pytest.param(
            "CMD redis-server --daemonize yes && app", ["redis-server", "app"], id="redis daemonize"
        ),
        pytest.param(
            'CMD ["bash", "-c", "worker & exec web"]', ["worker", "web"], id="exec form sh -c"
        ),
        pytest.param("ENTRYPOINT a & b", ["a", "b"], id="entrypoint"),
    ],
)
def test_several_processes_are_reported(src: str, names: list[str]) -> None:
    assert _named(src) == names


@pytest.mark.parametrize(
    "src",
    [
        pytest.param("CMD node app.js", id="one program"),
        pytest.param('CMD ["node", "app.js"]', id="exec form"),
        pytest.param("CMD nginx -g 'daemon off;'", id="nginx in the foreground"),
        pytest.param("CMD php-fpm -F", id="php-fpm foreground"),
        pytest.param("CMD php-fpm --nodaemonize && x", id="php-fpm foreground, then"),
        pytest.param("CMD cron -f", id="cron foreground"),
        pytest.param("CMD sshd -D", id="sshd foreground"),
        pytest.param("CMD ./migrate && exec ./server", id="one after another"),
        pytest.param("CMD nginx", id="a daemon alone"),
        pytest.param("CMD service nginx status && app", id="service status"),
        pytest.param("CMD systemctl start nginx && app", id="no systemd"),
        pytest.param("CMD app &", id="background, nothing after"),
        pytest.param("CMD if true; then nginx; fi; app", id="inside a compound"),
        pytest.param('CMD ["/entrypoint.sh", "a & b"]', id="a script is not read"),
        pytest.param('CMD ["sh", "-c", "a &&"]', id="broken script"),
        pytest.param("CMD redis-server --daemonize no && app", id="redis in the foreground"),
    ],
)
def test_one_process_is_fine(src: str) -> None:
    assert _named(src) is None


def test_never_a_fix() -> None:
    src = "FROM debian:12\nCMD a & b\n"
    assert fix_text(src, [several_processes], SETTINGS).output == src


def test_windows_is_not_read() -> None:
    src = "FROM mcr.microsoft.com/windows/servercore:ltsc2022\nCMD a & b\n"
    assert check_text(src, [several_processes], SETTINGS) == []
