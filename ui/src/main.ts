import { mount } from "svelte";
import AppShell from "./app/AppShell.svelte";
import "./app/theme.css";

const target = document.getElementById("app");
if (!target) {
  throw new Error("index.html has no #app element to mount Tessera into");
}

export default mount(AppShell, { target });
