// The create-session wizard lives in ./wizard/ (one file per step); this path stays for the route table.
export { SessionWizardPage } from './wizard/SessionWizardPage';
