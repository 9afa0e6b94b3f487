/**
 * The approver's web page: one server-rendered HTML document with a little JS. Signs in with a
 * bearer token (kept in sessionStorage), lists pending approvals, shows one with highlighted
 * code and findings beside their lines, and posts approve / reject quoting the code hash.
 * Live updates come from /v1/approvals/events read with fetch (so the token stays in a header).
 * Admins also see the runs in `outcome_unknown` and record what they found on the machine.
 */
export function approverPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>pyfleet approver</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${CSS}</style></head>
<body>
<header><h1>pyfleet approver</h1><span id="who"></span><button id="signout" hidden>Sign out</button></header>
<main>
<section id="signin">
  <h2>Sign in</h2>
  <form id="signin-form"><label>Token <input id="token" type="password" autocomplete="off" required></label>
  <button type="submit">Sign in</button></form><p class="err" id="signin-err"></p>
</section>
<section id="app" hidden>
  <div class="cols">
    <div id="list-pane"><h2>Pending <span id="count"></span></h2>
      <table id="pending"><thead><tr><th>Task</th><th>Mode</th><th>PV writes</th><th>Age</th><th>Expires</th></tr></thead><tbody></tbody></table>
      <p id="empty" class="muted">Nothing waits for you.</p>
      <div id="reconcile-pane" hidden><h2>Needs reconciliation <span id="rc-count"></span></h2>
        <p class="muted">A write executor stopped mid-run: nobody knows whether these writes happened, and pyfleet will not run them again.
        Check the machine, then record what you found.</p>
        <table id="unknown"><thead><tr><th>Task</th><th>Run</th><th>Since</th><th>Outcome</th></tr></thead><tbody></tbody></table>
        <p id="rc-empty" class="muted">No run needs reconciliation.</p><p id="rc-msg" class="msg"></p>
      </div>
    </div>
    <div id="detail" hidden>
      <h2 id="d-task"></h2>
      <dl class="meta"><dt>Run</dt><dd id="d-run"></dd><dt>Mode</dt><dd id="d-mode"></dd><dt>Requester</dt><dd id="d-req"></dd>
      <dt>Code hash</dt><dd><code id="d-hash"></code></dd><dt>Approvals</dt><dd id="d-votes"></dd><dt>Expires</dt><dd id="d-exp"></dd>
      <dt>Notebook</dt><dd id="d-nb"></dd><dt>Run status</dt><dd id="d-runstatus"></dd></dl>
      <p id="d-reason" class="reason"></p>
      <div id="d-manifest-box" hidden><h3>Write manifest <span class="muted">(dry run on the read-only side: only these PVs may be written)</span></h3>
      <table id="d-manifest"><thead><tr><th>PV</th><th>Current</th><th></th><th>Proposed</th><th>Limits</th><th></th></tr></thead><tbody></tbody></table></div>
      <h3>PV writes</h3><ul id="d-pvs"></ul>
      <h3>Code</h3><pre id="d-code" class="code"></pre>
      <h3>History</h3><ul id="d-history"></ul>
      <form id="decide"><label>Reason <input id="reason" required placeholder="why"></label>
        <label>Feedback for regeneration <input id="feedback" placeholder="optional, for reject"></label>
        <label><input type="checkbox" id="regenerate"> regenerate after reject</label>
        <div class="buttons"><button type="button" id="approve" class="ok">Approve</button>
        <button type="button" id="reject" class="no">Reject</button></div></form>
      <p id="d-msg" class="msg"></p>
    </div>
  </div>
</section>
</main>
<script>${JS}</script>
</body></html>`;
}

const CSS = `
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1b1f24;background:#f6f7f9}
header{display:flex;gap:1rem;align-items:center;padding:.6rem 1rem;background:#12263a;color:#fff}
header h1{font-size:1.1rem;margin:0;flex:1}
main{padding:1rem}.cols{display:grid;grid-template-columns:minmax(320px,1fr) 2fr;gap:1rem}
table{border-collapse:collapse;width:100%;background:#fff}th,td{padding:.35rem .5rem;border-bottom:1px solid #dde;text-align:left}
tbody tr{cursor:pointer}tbody tr:hover,tbody tr.sel{background:#e8f0fb}
#detail{background:#fff;padding:1rem;border:1px solid #dde}
.meta{display:grid;grid-template-columns:8rem 1fr;gap:.2rem .6rem}.meta dt{color:#667}
pre.code{background:#0f1720;color:#e6edf3;padding:.5rem;overflow:auto;counter-reset:l}
pre.code .ln{display:block}pre.code .ln::before{counter-increment:l;content:counter(l);display:inline-block;width:2.5em;color:#6b7785}
pre.code .flag{background:#4a1d1d}.kw{color:#ff7b72}.str{color:#a5d6ff}.com{color:#8b949e}.num{color:#79c0ff}
.finding{display:block;color:#ffb4a9;padding-left:2.5em;font-style:italic}
.mode-write_access{color:#b42318;font-weight:600}
#d-manifest tr.out{background:#fde8e8;color:#8a1c1c;font-weight:600}#d-manifest td{padding:.15rem .5rem;font-family:ui-monospace,monospace}.err{color:#b42318}.muted{color:#667}
button{padding:.4rem .9rem;border-radius:4px;border:1px solid #99a;background:#fff;cursor:pointer}
button.ok{background:#1a7f37;color:#fff;border-color:#1a7f37}button.no{background:#b42318;color:#fff;border-color:#b42318}
form#decide label{display:block;margin:.4rem 0}form#decide input[type=text],form#decide input:not([type]){width:100%}
.msg{font-weight:600}.reason{background:#fff8e1;padding:.4rem}
#reconcile-pane{margin-top:1.5rem}#unknown tbody tr{cursor:default}#unknown form{display:flex;gap:.3rem;flex-wrap:wrap}#unknown input{flex:1;min-width:8rem}`;

const JS = `
const $=(id)=>document.getElementById(id);
let token=sessionStorage.getItem('pyfleet-token')||'';let current=null;let stream=null;
const api=async(path,opts={})=>{const r=await fetch(path,{...opts,headers:{...(opts.headers||{}),authorization:'Bearer '+token,'content-type':'application/json'}});
 const body=await r.json().catch(()=>({}));if(!r.ok)throw Object.assign(new Error(body.error?body.error.message:r.statusText),{status:r.status});return body;};
const fmtv=(v,p,u)=>v===null||v===undefined?'?':(typeof v==='number'&&p!==null&&p!==undefined&&p>=0&&p<=12?v.toFixed(p):String(v))+(u?' '+u:'');
function renderManifest(m){const box=$('d-manifest-box');box.hidden=!m;if(!m)return;const tb=$('d-manifest').querySelector('tbody');
 tb.innerHTML=m.entries.map(e=>{const lim=e.limits?fmtv(e.limits.low,null,'')+' … '+fmtv(e.limits.high,null,e.units):'none';
  return '<tr class="'+(e.outOfLimits?'out':'')+'"><td>'+esc(e.pv)+'</td><td>'+(e.connected?esc(fmtv(e.current,e.precision,e.units)):'(unreachable)')+'</td><td>→</td><td>'+esc(fmtv(e.proposed,e.precision,e.units))+'</td><td>'+esc(lim)+'</td><td>'+(e.outOfLimits?'OUT OF LIMITS':'')+'</td></tr>';}).join('')||'<tr><td colspan="6">the dry run made no writes: any write will be refused</td></tr>';}
const esc=(s)=>String(s??'').replace(/[&<>"']/g,(c)=>({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]));
const age=(iso)=>{const s=Math.round((Date.now()-Date.parse(iso))/1000);return s<60?s+'s':s<3600?Math.round(s/60)+'m':Math.round(s/3600)+'h';};
const KW=/\\b(import|from|as|def|return|if|elif|else|for|while|in|not|and|or|with|try|except|finally|raise|class|lambda|None|True|False|pass|break|continue|yield|global)\\b/g;
function hl(line){let out='';const re=/(#.*$)|('(?:[^'\\\\]|\\\\.)*'|"(?:[^"\\\\]|\\\\.)*")|(\\b\\d+(?:\\.\\d+)?\\b)/g;let last=0,m;
 while((m=re.exec(line))){out+=esc(line.slice(last,m.index)).replace(KW,'<span class="kw">$1</span>');
  out+=m[1]?'<span class="com">'+esc(m[1])+'</span>':m[2]?'<span class="str">'+esc(m[2])+'</span>':'<span class="num">'+esc(m[3])+'</span>';last=re.lastIndex;}
 return out+esc(line.slice(last)).replace(KW,'<span class="kw">$1</span>');}
let admin=false;
async function signin(t){token=t;try{const r=await api('/v1/approvals?status=pending');const me=await api('/v1/me');sessionStorage.setItem('pyfleet-token',t);
 $('signin').hidden=true;$('app').hidden=false;$('signout').hidden=false;$('who').textContent=me.identity+' ('+me.roles.join(', ')+')';
 admin=me.roles.includes('admin');$('reconcile-pane').hidden=!admin;render(r.approvals);listen();if(admin)unknownRuns();}catch(e){$('signin-err').textContent=e.message;token='';}}
async function unknownRuns(){const {runs}=await api('/v1/runs?status=outcome_unknown&limit=100');const tb=document.querySelector('#unknown tbody');
 const keep=new Set(runs.map(r=>r.runId));for(const tr of [...tb.rows])if(!keep.has(tr.dataset.id))tr.remove();
 for(const r of runs){if(tb.querySelector('tr[data-id="'+CSS.escape(r.runId)+'"]'))continue;const tr=document.createElement('tr');tr.dataset.id=r.runId;
  tr.innerHTML='<td>'+esc(r.task)+'</td><td><code>'+esc(r.runId)+'</code></td><td>'+age(r.updatedAt)+'</td><td><form><select name="outcome"><option value="succeeded">write happened (succeeded)</option><option value="failed">write did not happen (failed)</option></select>'
   +'<input name="note" required placeholder="what you checked"><button type="submit">Record</button></form></td>';
  tr.querySelector('form').onsubmit=(e)=>{e.preventDefault();reconcile(r.runId,e.target);};tb.appendChild(tr);}
 $('rc-count').textContent='('+runs.length+')';$('rc-empty').hidden=runs.length>0;}
async function reconcile(runId,form){const note=form.note.value.trim();if(!note){$('rc-msg').textContent='Say what you checked.';return;}
 try{const r=await api('/v1/runs/'+encodeURIComponent(runId)+'/reconcile',{method:'POST',body:JSON.stringify({outcome:form.outcome.value,note})});
  $('rc-msg').textContent='Run '+runId+' is now '+r.status+'.';await unknownRuns();}catch(e){$('rc-msg').textContent='Refused: '+e.message;}}
setInterval(()=>{if(admin&&token)unknownRuns().catch(()=>{});},3000);
function render(list){const tb=document.querySelector('#pending tbody');tb.innerHTML='';$('count').textContent='('+list.length+')';$('empty').hidden=list.length>0;
 for(const a of list){const tr=document.createElement('tr');tr.dataset.id=a.id;if(current&&current.id===a.id)tr.className='sel';
  tr.innerHTML='<td>'+esc(a.task)+'</td><td class="mode-'+a.executionMode+'">'+esc(a.executionMode)+'</td><td>'+esc(a.pvWrites.map(p=>p.pv||'(dynamic)').join(', '))+'</td><td>'+age(a.createdAt)+'</td><td>'+new Date(a.expiresAt).toLocaleTimeString()+'</td>';
  tr.onclick=()=>open(a.id);tb.appendChild(tr);}}
async function refresh(){render((await api('/v1/approvals?status=pending')).approvals);}
async function open(id){const {approval:a}=await api('/v1/approvals/'+encodeURIComponent(id));if(!current||current.id!==id)$('d-msg').textContent='';current=a;$('detail').hidden=false;
 $('d-task').textContent=a.task;$('d-run').textContent=a.runId+' (attempt '+a.attempt+')';$('d-mode').textContent=a.executionMode+' on '+a.kernelName;$('d-mode').className='mode-'+a.executionMode;
 $('d-req').textContent=a.requester;$('d-hash').textContent=a.codeHash;$('d-votes').textContent=a.votes.filter(v=>v.decision==='approve').length+' of '+a.requiredApprovals+' - status '+a.status;
 $('d-exp').textContent=new Date(a.expiresAt).toLocaleString();$('d-nb').innerHTML=a.notebookLink?'<a target="_blank" href="'+esc(a.notebookLink)+'">open notebook</a>':esc(a.notebookPath||'none');
 renderManifest(a.manifest);$('d-reason').textContent=a.reasoning;$('d-pvs').innerHTML=a.pvWrites.map(p=>'<li><code>'+esc(p.pv||'(not a literal)')+'</code> line '+p.line+' via '+esc(p.api)+(p.dynamic?' (dynamic, assumed write)':'')+'</li>').join('')||'<li>none</li>';
 const byLine={};for(const f of a.findings)(byLine[f.line]=byLine[f.line]||[]).push(f);for(const p of a.pvWrites)(byLine[p.line]=byLine[p.line]||[]).push({level:'write',rule:'pv-write',message:'writes '+(p.pv||'a PV')});
 $('d-code').innerHTML=a.code.split('\\n').map((l,i)=>{const fs=byLine[i+1]||[];return '<span class="ln'+(fs.length?' flag':'')+'">'+hl(l)+'</span>'+fs.map(f=>'<span class="finding">'+esc(f.level+' '+f.rule+': '+f.message)+'</span>').join('');}).join('');
 $('d-history').innerHTML=['<li>requested by '+esc(a.requester)+' at '+new Date(a.createdAt).toLocaleString()+'</li>'].concat(a.votes.map(v=>'<li>'+esc(v.identity)+' '+esc(v.decision)+': '+esc(v.reason)+' ('+new Date(v.at).toLocaleTimeString()+')</li>')).join('');
 const closed=a.status!=='pending';$('approve').disabled=closed;$('reject').disabled=closed;runStatus(a.runId);
 for(const tr of document.querySelectorAll('#pending tbody tr'))tr.className=tr.dataset.id===id?'sel':'';}
async function runStatus(runId){try{const {run}=await api('/v1/runs/'+encodeURIComponent(runId));if(current&&current.runId===runId)$('d-runstatus').textContent=run.status+(run.error?' - '+run.error.message:'');}catch(e){$('d-runstatus').textContent='unknown';}}
setInterval(()=>{if(current&&token)runStatus(current.runId);},1000);
async function decide(decision){if(!current)return;const reason=$('reason').value.trim();if(!reason){$('d-msg').textContent='Give a reason.';return;}
 const body={decision,codeHash:current.codeHash,reason};const fb=$('feedback').value.trim();if(decision==='reject'&&fb){body.feedback=fb;body.regenerate=$('regenerate').checked;}
 try{const r=await api('/v1/approvals/'+encodeURIComponent(current.id)+'/decision',{method:'POST',body:JSON.stringify(body)});
  $('reason').value='';await open(current.id);await refresh();
  $('d-msg').textContent=r.released?(decision==='approve'?'Approved: the run continues.':'Rejected.'):'Vote recorded: waiting for another approver.';}
 catch(e){$('d-msg').textContent='Refused: '+e.message;}}
async function listen(){if(stream)return;stream=new AbortController();
 try{const r=await fetch('/v1/approvals/events',{headers:{authorization:'Bearer '+token},signal:stream.signal});const rd=r.body.getReader();const dec=new TextDecoder();let buf='';
  for(;;){const {value,done}=await rd.read();if(done)break;buf+=dec.decode(value,{stream:true});let i;while((i=buf.indexOf('\\n\\n'))>=0){const chunk=buf.slice(0,i);buf=buf.slice(i+2);
   if(/^event: /m.test(chunk)){await refresh();if(current)await open(current.id).catch(()=>{});}}}}catch(e){}
 stream=null;if(token)setTimeout(listen,2000);}
$('signin-form').onsubmit=(e)=>{e.preventDefault();signin($('token').value.trim());};
$('signout').onclick=()=>{sessionStorage.removeItem('pyfleet-token');token='';if(stream)stream.abort();location.reload();};
$('approve').onclick=()=>decide('approve');$('reject').onclick=()=>decide('reject');
if(token)signin(token);`;
