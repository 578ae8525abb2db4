"""What TensorFlow can compute on, and what a run will use."""

from __future__ import annotations

from workbench.running.quiet import import_tensorflow


def visible() -> list[dict[str, str]]:
    """Every physical device TensorFlow sees, with the GPU's model name where known."""
    tf = import_tensorflow()
    found = []
    for device in tf.config.list_physical_devices():
        entry = {"name": device.name.replace("/physical_device:", ""), "type": device.device_type}
        if device.device_type == "GPU":
            details = tf.config.experimental.get_device_details(device)
            entry["model"] = details.get("device_name", "")
        found.append(entry)
    return found


def run_device() -> str:
    """The device a run places its work on: TensorFlow's choice, the first GPU if any."""
    gpus = [d for d in visible() if d["type"] == "GPU"]
    if gpus:
        first = gpus[0]
        return f"{first['name']} ({first['model']})" if first.get("model") else first["name"]
    return "CPU"
