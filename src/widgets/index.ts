/** Registers the live widgets. Imported by SimWidget.astro (bundled by Astro, re-bundled for file://). */
import { TcpLabSim } from './sim.ts';
import { TcpLabTerminal } from './terminal.ts';

if (!customElements.get('tcp-lab-sim')) customElements.define('tcp-lab-sim', TcpLabSim);
if (!customElements.get('tcp-lab-terminal')) customElements.define('tcp-lab-terminal', TcpLabTerminal);
